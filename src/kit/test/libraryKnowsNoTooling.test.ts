import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const KIT = resolve(__dirname, "../src");
const TARGETS = [...readFileSync(resolve(__dirname, "../../../Makefile"), "utf8").matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]!);
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .map((line, i) => ({ module: relative(KIT, file), at: `${relative(KIT, file)}:${i + 1}`, line }));

describe("the kit knows nothing of the tooling around it", () => {
  it("names no make target, no Terraform and no Java: starting DynamoDB Local is the CLI's", () => {
    expect(TARGETS).toEqual(expect.arrayContaining(["test", "deploy", "migrate"]));
    const tooling = new RegExp(`\\bmake (${TARGETS.join("|")})\\b|terraform|\\bjava\\b|JAVA_`, "i");
    const found = files(KIT)
      .flatMap(lines)
      .filter(({ line }) => tooling.test(line));
    expect(found).toEqual([]);
    expect(tooling.test("make deploy")).toBe(true);
  });

  it("keeps what tests use behind the testing entry: no runtime or migrations module imports it", () => {
    const found = files(KIT)
      .filter((file) => !relative(KIT, file).startsWith("testing"))
      .flatMap(lines)
      .filter(({ line }) => /from "\.\.?\/(\.\.\/)*testing(\/|")/.test(line));
    expect(found).toEqual([]);
  });
});
