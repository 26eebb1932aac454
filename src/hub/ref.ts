// Model references by name (browser-safe): ORG/NAME[@REVISION] or a legacy id without an organisation (gpt2,
// bert-base-cased), checked as huggingface_hub checks repo ids, and the Hub's URLs for them.
// Leaves out: datasets/spaces, `hf://` URLs.

export interface ModelRef {
  /** ORG/NAME or a legacy NAME */
  repo: string;
  /** branch, tag or commit (default "main") */
  revision: string;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const PART = /^[A-Za-z0-9_.-]{1,96}$/;

/** Why `s` is not a repo id (null when it is one). */
export function repoIdProblem(s: string): string | null {
  const parts = s.split('/');
  if (parts.length > 2) return 'a repo id is NAME or ORG/NAME';
  if (parts.some((p) => !PART.test(p))) return 'repo ids use letters, digits, "-", "_" and "." (at most 96 each)';
  if (s.includes('--') || s.includes('..')) return 'repo ids cannot contain "--" or ".."';
  if (parts.some((p) => /^[-.]|[-.]$/.test(p))) return 'repo id parts cannot start or end with "-" or "."';
  if (s.endsWith('.git')) return 'repo ids cannot end with ".git"';
  return null;
}

/** ORG/NAME[@REV] → {repo, revision}; null when `s` does not look like a model name. */
export function parseModelRef(s: string): ModelRef | null {
  const at = s.indexOf('@');
  const repo = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? 'main' : s.slice(at + 1);
  if (repoIdProblem(repo) !== null) return null;
  if (revision === '' || /\s|\.\.|^\/|\/$/.test(revision)) return null;
  return { repo, revision };
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}` (revision and path parts URL-encoded). */
export function resolveUrl(endpoint: string, ref: ModelRef, path: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** `{endpoint}/api/models/{repo}/revision/{revision}`: the commit and file list. */
export function infoUrl(endpoint: string, ref: ModelRef): string {
  return `${endpoint.replace(/\/+$/, '')}/api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}`;
}

/** `repo` or `repo@revision` for messages. */
export function refText(ref: ModelRef): string {
  return ref.revision === 'main' ? ref.repo : `${ref.repo}@${ref.revision}`;
}
