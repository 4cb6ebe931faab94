/** One progress line: rewritten in place on a terminal, printed when it changes otherwise. */
export class Progress {
  private readonly started = performance.now();
  private last = '';
  private readonly tty = process.stderr.isTTY;

  update(line: string): void {
    if (line === this.last) return;
    this.last = line;
    if (this.tty) process.stderr.write(`\r\u001b[2K${line} (${this.elapsed()})`);
    else process.stderr.write(`${line}\n`);
  }

  done(line: string): void {
    if (this.tty) process.stderr.write('\r\u001b[2K');
    this.last = '';
    console.log(line);
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  elapsed(): string {
    return `${this.seconds().toFixed(1)} s`;
  }
}
