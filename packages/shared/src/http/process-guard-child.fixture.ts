/**
 * A process for the process-guard test: installs the guard with the service logger (JSON lines on stdout), then
 * fails the way MODE says. A flush hook writes `flushed` on stderr, so the test sees it ran before the exit.
 */
import { createLogger } from '../observability/logger.ts';
import { guardProcess } from './process-guard.ts';

const mode = process.argv[2] ?? '';
const logger = createLogger({ service: 'guard-child', level: 'info' });
const guard = guardProcess(logger, async () => void process.stderr.write('flushed\n'));
/** An error as a database driver might raise it: personal data in fields other than the message. */
const failure = () =>
  Object.assign(new Error('insert into applicants failed'), {
    code: '23505',
    detail: 'Key (family_name)=(Mustermann) already exists.',
    applicant: { familyName: 'Mustermann' },
  });
const keepAlive = setInterval(() => undefined, 1_000);

switch (mode) {
  case 'throw-after-start':
    guard.started();
    setTimeout(() => {
      throw failure();
    }, 10);
    break;
  case 'reject-after-start':
    guard.started();
    void Promise.reject(failure());
    // Still running after the rejection was logged: say so and end normally.
    setInterval(() => {
      if (guard.unhandledRejections < 1) return;
      process.stdout.write('still running\n');
      clearInterval(keepAlive);
      process.exit(0);
    }, 10);
    break;
  case 'reject-during-start':
    void Promise.reject(failure());
    break;
  case 'start-up-fails':
    // What a composition root's `await runService(...)` does when start-up throws.
    await Promise.reject(failure());
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
