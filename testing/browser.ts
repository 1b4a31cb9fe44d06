// A headless Chromium for the browser tests, found the way a fresh machine has one:
// @sparticuz/chromium, a Chromium inside an npm package (a devDependency: `npm ci` is enough,
// no download and no apt), else Debian's chromium (`apt-get install chromium`). Driven by
// playwright-core, which ships no browser of its own.
import { existsSync } from 'node:fs';

import { type Browser, chromium as playwright } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
/** Debian's Chromium needs these as root and on a closed network (the machine's notes). */
const DEBIAN_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  let packaged: { executablePath: () => Promise<string>; args: string[] } | undefined;
  try {
    packaged = (await import('@sparticuz/chromium')).default;
  } catch {
    packaged = undefined;
  }
  if (packaged !== undefined) {
    const executablePath = await packaged.executablePath();
    return playwright.launch({ executablePath, args: packaged.args, headless: true });
  }
  if (existsSync(DEBIAN_CHROMIUM))
    return playwright.launch({ executablePath: DEBIAN_CHROMIUM, args: DEBIAN_ARGS });
  throw new Error(
    'no headless Chromium: `npm ci` installs @sparticuz/chromium (a devDependency); ' +
      "without it, install Debian's with `apt-get install chromium`",
  );
}
