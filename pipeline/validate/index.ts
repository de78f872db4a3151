/**
 * The manifest validator: pure functions of text (validateManifestText, validateCatalogText) and
 * validateRepo, which reads a repository's catalogues and connectors. See DESIGN.md for the rules.
 */
export { validateRepo, sortProblems, type ValidateRepoOptions } from './repo.ts';
export { validateManifestText, validateManifestBytes, type ManifestResult } from './manifest.ts';
export { validateCatalogText, loadCatalog, FIREARM_CATALOG_FILE, KPI_CATALOG_FILE, type LoadedCatalog } from './catalog.ts';
export { formatHuman, formatProblem, formatGithubCommand, formatGithubCommands, escapeData, escapeProperty } from './format.ts';
export { parseYamlSafely, formatPath, MAX_ALIASES, MAX_EXPANDED_NODES } from './yaml-safe.ts';
export { MAX_MANIFEST_BYTES } from './decode.ts';
export { looksDestructive, isPlaceholder, secretKeyPrefix, DESTRUCTIVE_WORDS } from './rules.ts';
export { suggest, didYouMean, editDistance } from './suggest.ts';
export type { Problem, ValidConnector, ValidationResult } from './types.ts';
export { PROBLEM_CATALOGUE, problemData, type ProblemCode, type ProblemData } from './problem-codes.ts';
