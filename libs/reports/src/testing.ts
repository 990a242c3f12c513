import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a person would see of a PDF, through poppler (Debian's poppler-utils, installed by
 * tools/dev/setup.mjs): its pages rendered to PNG by pdftoppm, and its text by pdftotext.
 */
export interface ReadPdf {
  /** The text of each page (pdftotext -layout). */
  pages: string[];
  /** Each page rendered by pdftoppm at 50 dpi. */
  pngs: Buffer[];
}

export function readPdf(pdf: Buffer): ReadPdf {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-report-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', '50', '-png', file, join(dir, 'page')]);
    const pngs = readdirSync(dir)
      .filter((n) => n.endsWith('.png'))
      .sort()
      .map((n) => readFileSync(join(dir, n)));
    const pages = pngs.map((_, i) =>
      execFileSync('pdftotext', ['-layout', '-f', String(i + 1), '-l', String(i + 1), file, '-'], {
        encoding: 'utf8',
      }),
    );
    return { pages, pngs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PNG's width and height, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
