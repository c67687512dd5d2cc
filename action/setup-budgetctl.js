// The setup-budgetctl action's work (action.yml runs it in two steps):
//
//   node setup-budgetctl.js resolve   the version asked for (a tag, `latest`
//                                      or a semver range such as `^0.2` or
//                                      `0.x`) as a release tag, and the
//                                      archive of this runner's OS and
//                                      architecture (release/targets.json)
//   node setup-budgetctl.js install   that archive, unless the cached
//                                      directory has it already: downloaded,
//                                      its SHA-256 checked against its
//                                      .sha256, unpacked, put on PATH; where
//                                      no archive fits, `cargo install
//                                      --locked` of that tag instead
//
// Inputs come as the environment a runner gives a step: INPUT_VERSION,
// INPUT_TOKEN, RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, GITHUB_OUTPUT,
// GITHUB_PATH. BUDGETCTL_REPO (owner/name), BUDGETCTL_API_URL and
// BUDGETCTL_DOWNLOAD_URL point elsewhere than GitHub (the tests serve a
// fake release on 127.0.0.1). Nothing but Node's own modules is used.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = process.env.BUDGETCTL_REPO || 'budgetctl/budgetctl';
const API = (process.env.BUDGETCTL_API_URL || 'https://api.github.com').replace(/\/$/, '');
const DOWNLOAD = (process.env.BUDGETCTL_DOWNLOAD_URL || `https://github.com/${REPO}/releases/download`).replace(/\/$/, '');
const TARGETS = require(path.join(__dirname, '..', 'release', 'targets.json'));

function fail(message) {
  // A workflow command: the run's summary shows it on the step.
  console.log(`::error title=setup-budgetctl::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`);
  process.exit(1);
}

/** Append `name=value` to a runner file (GITHUB_OUTPUT, GITHUB_PATH). */
function append(file, line) {
  if (!file) fail(`${line}: the runner gave no file to write it to`);
  fs.appendFileSync(file, `${line}\n`);
}

async function get(url, accept) {
  const headers = { 'User-Agent': 'setup-budgetctl', Accept: accept };
  if (process.env.INPUT_TOKEN && url.startsWith(API)) headers.Authorization = `Bearer ${process.env.INPUT_TOKEN}`;
  const response = await fetch(url, { headers, redirect: 'follow' });
  if (!response.ok) fail(`GET ${url}: ${response.status} ${response.statusText}`);
  return response;
}

/** `1.2.3` (a `v` or not, a pre-release suffix kept apart) as numbers. */
function parse(version) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(version);
  return m ? { parts: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] || '' } : null;
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a.parts[i] !== b.parts[i]) return a.parts[i] - b.parts[i];
  if (a.pre === b.pre) return 0;
  return a.pre === '' ? 1 : b.pre === '' ? -1 : a.pre < b.pre ? -1 : 1;
}

/**
 * Whether `version` satisfies `range`: `1.2.3` (exactly), `^1.2` (same
 * major, or same minor for 0.x), `~1.2.3` (same minor), `1.x` / `1.2.x` /
 * `1` / `1.2` (those parts fixed), `>=1.2.0`. Pre-releases only match a
 * range that names one.
 */
function satisfies(version, range) {
  const v = parse(version);
  if (!v) return false;
  const r = range.trim().replace(/^v/, '');
  if (v.pre && !r.includes('-')) return false;
  const op = /^(\^|~|>=)?v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(-[0-9A-Za-z.-]+)?$/.exec(r);
  if (!op) fail(`\`${range}\` is not a version: write a tag (v0.2.1), latest, or a range (^0.2, ~0.2.1, 0.x)`);
  const [, kind, ...rest] = op;
  const want = rest.slice(0, 3).map((p) => (p === undefined || p === 'x' || p === '*' ? null : Number(p)));
  const floor = { parts: want.map((p) => p ?? 0), pre: rest[3] || '' };
  if (kind === '>=') return compare(v, floor) >= 0;
  if (kind === '^') {
    if (compare(v, floor) < 0) return false;
    const [major, minor] = want;
    if (major > 0 || minor === null) return v.parts[0] === major;
    if (minor > 0 || want[2] === null) return v.parts[0] === 0 && v.parts[1] === minor;
    return v.parts[0] === 0 && v.parts[1] === 0 && v.parts[2] === want[2];
  }
  if (kind === '~') {
    if (compare(v, floor) < 0) return false;
    return v.parts[0] === want[0] && (want[1] === null || v.parts[1] === want[1]);
  }
  return want.every((p, i) => p === null || v.parts[i] === p) && (floor.pre === '' || v.pre === floor.pre);
}

/** The release tag `input` names. */
async function resolveTag(input) {
  const wanted = (input || 'latest').trim();
  if (wanted === 'latest') {
    const latest = await (await get(`${API}/repos/${REPO}/releases/latest`, 'application/vnd.github+json')).json();
    return latest.tag_name;
  }
  if (/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(wanted)) return wanted;
  const tags = [];
  for (let page = 1; ; page++) {
    const releases = await (await get(`${API}/repos/${REPO}/releases?per_page=100&page=${page}`, 'application/vnd.github+json')).json();
    for (const r of releases) if (!r.draft && parse(r.tag_name)) tags.push(r.tag_name);
    if (releases.length < 100) break;
  }
  const matching = tags.filter((t) => satisfies(t, wanted)).sort((a, b) => compare(parse(b), parse(a)));
  if (matching.length === 0) fail(`no release of ${REPO} matches \`${wanted}\` (releases: ${tags.join(', ') || 'none'})`);
  return matching[0];
}

/** The release target of this runner, or undefined where none fits. */
function targetOf(os, arch) {
  return TARGETS.find((t) => t.runner_os === os && t.runner_arch === arch);
}

function installDir(tag, target) {
  const root = process.env.RUNNER_TOOL_CACHE || path.join(require('node:os').tmpdir(), 'budgetctl');
  return path.join(root, 'budgetctl', tag, target);
}

async function resolve() {
  const tag = await resolveTag(process.env.INPUT_VERSION);
  const t = targetOf(process.env.RUNNER_OS, process.env.RUNNER_ARCH);
  const target = t ? t.target : 'source';
  append(process.env.GITHUB_OUTPUT, `version=${tag}`);
  append(process.env.GITHUB_OUTPUT, `target=${target}`);
  append(process.env.GITHUB_OUTPUT, `dir=${installDir(tag, target)}`);
  console.log(`budgetctl ${tag} for ${target}`);
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function install() {
  const tag = process.env.BUDGETCTL_VERSION;
  if (!tag) fail('run `resolve` first: BUDGETCTL_VERSION is not set');
  const t = targetOf(process.env.RUNNER_OS, process.env.RUNNER_ARCH);
  if (!t) {
    console.log(`::notice title=setup-budgetctl::no release archive for ${process.env.RUNNER_OS} ${process.env.RUNNER_ARCH}: building ${tag} from source with cargo install --locked`);
    execFileSync('cargo', ['install', '--locked', '--git', `https://github.com/${REPO}`, '--tag', tag, 'budgetctl'], { stdio: 'inherit' });
    append(process.env.GITHUB_OUTPUT, `version=${tag}`);
    return;
  }
  const dir = installDir(tag, t.target);
  const exe = path.join(dir, t.target.includes('windows') ? 'budgetctl.exe' : 'budgetctl');
  if (fs.existsSync(exe)) {
    console.log(`budgetctl ${tag} is cached in ${dir}`);
  } else {
    const name = `budgetctl-${tag}-${t.target}`;
    const archive = `${name}.${t.archive}`;
    const work = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'setup-budgetctl-'));
    const file = path.join(work, archive);
    fs.writeFileSync(file, Buffer.from(await (await get(`${DOWNLOAD}/${tag}/${archive}`, 'application/octet-stream')).arrayBuffer()));
    const listed = (await (await get(`${DOWNLOAD}/${tag}/${archive}.sha256`, 'text/plain')).text()).trim().split(/\s+/)[0];
    const actual = sha256(file);
    if (!/^[0-9a-f]{64}$/i.test(listed || '') || listed.toLowerCase() !== actual) {
      fail(`${archive} has SHA-256 ${actual}, but its .sha256 says ${listed}: refusing to install it`);
    }
    execFileSync('tar', ['-xf', file, '-C', work], { stdio: 'inherit' });
    fs.mkdirSync(dir, { recursive: true });
    for (const entry of fs.readdirSync(path.join(work, name))) {
      fs.copyFileSync(path.join(work, name, entry), path.join(dir, entry));
    }
    if (!t.target.includes('windows')) fs.chmodSync(exe, 0o755);
    fs.rmSync(work, { recursive: true, force: true });
    console.log(`budgetctl ${tag} installed in ${dir} (SHA-256 ${actual})`);
  }
  append(process.env.GITHUB_PATH, dir);
  append(process.env.GITHUB_OUTPUT, `version=${tag}`);
}

module.exports = { satisfies, compare, parse, targetOf };

if (require.main === module) {
  const step = process.argv[2];
  const run = { resolve, install }[step];
  if (!run) fail(`usage: setup-budgetctl.js resolve|install (got ${step})`);
  run().catch((e) => fail(e.stack || String(e)));
}
