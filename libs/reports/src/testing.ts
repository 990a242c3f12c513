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

/** A page as pixels: RGB, 3 bytes a pixel, rows top to bottom. */
export interface Pixels {
  width: number;
  height: number;
  rgb: Buffer;
}

/** One page rendered by pdftoppm at `dpi`, read from its PPM output (no PNG decoder needed). */
export function pagePixels(pdf: Buffer, { page = 1, dpi = 100 }: { page?: number; dpi?: number } = {}): Pixels {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-report-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', String(dpi), '-f', String(page), '-l', String(page), file, join(dir, 'page')]);
    const [name] = readdirSync(dir).filter((n) => n.endsWith('.ppm'));
    return decodePpm(readFileSync(join(dir, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A binary PPM (P6, 8 bits a sample). */
export function decodePpm(ppm: Buffer): Pixels {
  const fields: string[] = [];
  let o = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(ppm[o]))) o++;
    let field = '';
    while (!/\s/.test(String.fromCharCode(ppm[o]))) field += String.fromCharCode(ppm[o++]);
    fields.push(field);
  }
  const [magic, width, height, max] = fields;
  if (magic !== 'P6' || max !== '255') throw new Error(`not an 8-bit binary PPM (${magic}, max ${max})`);
  const w = Number(width);
  const h = Number(height);
  return { width: w, height: h, rgb: ppm.subarray(o + 1, o + 1 + w * h * 3) };
}

/** How many pixels of a region (pixel coordinates, ends excluded) `match` their colour. */
export function countPixels(
  image: Pixels,
  region: { x0: number; y0: number; x1: number; y1: number },
  match: (r: number, g: number, b: number) => boolean = (r, g, b) => r < 240 || g < 240 || b < 240,
): number {
  let n = 0;
  for (let y = Math.max(0, Math.floor(region.y0)); y < Math.min(image.height, Math.ceil(region.y1)); y++)
    for (let x = Math.max(0, Math.floor(region.x0)); x < Math.min(image.width, Math.ceil(region.x1)); x++) {
      const i = (y * image.width + x) * 3;
      if (match(image.rgb[i], image.rgb[i + 1], image.rgb[i + 2])) n++;
    }
  return n;
}

/** Where each word of a page is (points from the top left), as pdftotext -bbox reports it. */
export function wordBoxes(
  pdf: Buffer,
  page = 1,
): Array<{ text: string; xMin: number; yMin: number; xMax: number; yMax: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-report-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    const html = execFileSync('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), file, '-'], {
      encoding: 'utf8',
    });
    return [
      ...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g),
    ].map((m) => ({ text: m[5], xMin: +m[1], yMin: +m[2], xMax: +m[3], yMax: +m[4] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
