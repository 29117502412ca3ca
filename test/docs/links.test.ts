/**
 * Every relative link in the README, docs/ and the kit's and app's READMEs
 * resolves: the file exists, and a #fragment names a heading of that file
 * (GitHub's anchors: lowercased, punctuation dropped, spaces to dashes).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const DOCS = ["README.md", "src/app/README.md", "src/kit/README.md", "src/kit/CHANGELOG.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)];

const withoutCode = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, (code) => (code.includes("](") ? "" : code));
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
const anchorsOf = (file: string) =>
  new Set(
    [
      ...readFileSync(file, "utf8")
        .replace(/^```[\s\S]*?^```/gm, "")
        .matchAll(/^#{1,6} (.+)$/gm),
    ].map((m) => anchor(m[1]!)),
  );

function brokenLinks(doc: string): string[] {
  const file = join(ROOT, doc);
  return [...withoutCode(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target))
    .flatMap((target) => {
      const [path, fragment] = target.split("#") as [string, string | undefined];
      const linked = path ? resolve(dirname(file), path) : file;
      if (!existsSync(linked)) return [`${doc}: ${target} (no such file)`];
      if (fragment && linked.endsWith(".md") && !anchorsOf(linked).has(fragment))
        return [`${doc}: ${target} (no heading #${fragment} in ${relative(ROOT, linked)})`];
      return [];
    });
}

describe("documentation links", () => {
  it("finds the documents", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "docs/deploy.md", "docs/backfills.md"]));
  });

  it.each(DOCS)("every relative link in %s resolves", (doc) => {
    expect(brokenLinks(doc)).toEqual([]);
  });

  it("notices a broken link and a missing heading", () => {
    expect(anchor("`connect()` at run time")).toBe("connect-at-run-time");
    expect(anchorsOf(join(ROOT, "README.md")).has("make-it-yours")).toBe(true);
    expect(withoutCode("see [x](nowhere.md) and `[y](code.md)`").match(/\]\(/g)).toHaveLength(1);
  });
});
