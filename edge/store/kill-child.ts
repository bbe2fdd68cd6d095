/**
 * For the kill -9 tests: runs a child script that prints one line per commit, waits for its first
 * line, kills it with SIGKILL after `delayMs`, and resolves with every line it wrote before dying.
 */
import { spawn } from 'node:child_process';

export function runAndKill(script: string, args: string[], delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    let armed = false;
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      if (!armed && lines.length > 0) {
        armed = true;
        setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    // 'close', not 'exit': every line the child wrote before dying must be read first.
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve(lines);
    });
  });
}
