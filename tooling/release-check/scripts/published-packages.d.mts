export declare const repoRoot: string;
export declare function publishedPackages(): Array<{ dir: string; path: string; name: string; version: string }>;
