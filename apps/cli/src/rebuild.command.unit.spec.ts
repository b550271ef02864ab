import { describe, expect, it } from 'vitest';
import { ProgressReporter, renderRebuildResult } from './rebuild.command.ts';

const reporter = (tty: boolean) => {
  const written: string[] = [];
  let clock = 0;
  const progress = new ProgressReporter({
    write: (text) => written.push(text),
    tty,
    projections: 2,
    width: 10,
    now: () => clock,
  });
  return {
    written,
    progress,
    tick: (ms: number) => {
      clock += ms;
    },
  };
};

describe('rebuild progress', () => {
  it('without a terminal, writes one plain line per 10 % over all projections', () => {
    const { written, progress, tick } = reporter(false);
    for (let position = 0; position <= 1_000; position += 50) {
      tick(100);
      progress.update({ projection: 'a', events: position, position, head: 1_000 });
      progress.update({ projection: 'b', events: position, position, head: 1_000 });
    }
    progress.done();
    expect(written.map((line) => line.split(' (')[0])).toEqual([
      'rebuild: 0%',
      'rebuild: 10%',
      'rebuild: 20%',
      'rebuild: 30%',
      'rebuild: 40%',
      'rebuild: 50%',
      'rebuild: 60%',
      'rebuild: 70%',
      'rebuild: 80%',
      'rebuild: 90%',
      'rebuild: 100%',
    ]);
    expect(written.at(-1)).toBe('rebuild: 100% (2,000 events, 1,000 events/s)\n');
  });

  it('on a terminal, redraws one bar in place at most ten times a second, and ends the line when done', () => {
    const { written, progress, tick } = reporter(true);
    progress.update({ projection: 'a', events: 0, position: 0, head: 100 });
    tick(10);
    progress.update({ projection: 'a', events: 10, position: 10, head: 100 }); // too soon: not drawn
    tick(200);
    progress.update({ projection: 'b', events: 50, position: 50, head: 100 });
    tick(10);
    progress.update({ projection: 'a', events: 100, position: 100, head: 100 });
    progress.update({ projection: 'b', events: 100, position: 100, head: 100 }); // the end: always drawn
    progress.done();
    expect(written).toEqual([
      '\r\x1b[2Krebuild ░░░░░░░░░░   0%  0 events, 0 events/s',
      '\r\x1b[2Krebuild ███░░░░░░░  30%  60 events, 286 events/s',
      '\r\x1b[2Krebuild ██████████ 100%  200 events, 909 events/s',
      '\n',
    ]);
  });

  it('closes with events, seconds and events/s per projection and in total', () => {
    expect(
      renderRebuildResult({
        projections: [
          { name: 'intake:case-list', events: 500_000, seconds: 10 },
          { name: 'eligibility:queue', events: 400_000, seconds: 4 },
        ],
        events: 900_000,
        seconds: 10.5,
      }),
    ).toBe(
      [
        'intake:case-list             500,000 events     10.00 s     50,000 events/s',
        'eligibility:queue            400,000 events      4.00 s    100,000 events/s',
        'total                        900,000 events     10.50 s     85,714 events/s',
      ].join('\n'),
    );
  });
});
