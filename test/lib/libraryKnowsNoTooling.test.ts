import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const LIBRARY = resolve(__dirname, "../../src/lib");
const TARGETS = [...readFileSync(resolve(__dirname, "../../Makefile"), "utf8").matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]!);
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

describe("the library knows nothing of the tooling around it", () => {
  it("names no make target, no Terraform and no Java: what to do is said in words, the scripts add commands", () => {
    expect(TARGETS).toEqual(expect.arrayContaining(["test", "deploy", "migrate"]));
    const found = files(LIBRARY).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => ({ at: `${relative(LIBRARY, file)}:${i + 1}`, line }))
        .filter(({ line }) => new RegExp(`\\bmake (${TARGETS.join("|")})\\b|terraform|\\bjava\\b|JAVA_`, "i").test(line)),
    );
    expect(found).toEqual([]);
  });
});
