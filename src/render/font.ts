/**
 * The CJK font every rendered document uses: Noto Sans CJK SC ("Noto Sans Hans", SIL OFL 1.1) as
 * shipped by the npm package @embedpdf/fonts-sc (OpenType/CFF, ~8 MB a weight, GB 18030-level
 * coverage, so rare characters in patient names render). It is read from node_modules, never from the
 * system: pdfkit (fontkit) embeds only the glyphs a document uses, resvg loads it as a font file.
 */
import path from 'node:path';
import { fonts } from '@embedpdf/fonts-sc';

// The package's exports name only its JS entry (dist/), beside which fonts/ lies.
const PACKAGE_DIR = path.join(path.dirname(require.resolve('@embedpdf/fonts-sc')), '..');

// The package lists its weights; 400 and 700 are the regular and bold files.
const file = (weight: number): string => path.join(PACKAGE_DIR, 'fonts', fonts.find((f) => f.weight === weight)?.file ?? `NotoSansHans-${weight === 700 ? 'Bold' : 'Regular'}.otf`);

export const FONT_FILES = { regular: file(400), bold: file(700) } as const;

/** The family name the font files declare (what SVG text asks for). */
export const FONT_FAMILY = 'Noto Sans S Chinese';
