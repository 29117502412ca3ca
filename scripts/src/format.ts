/** Output for people: sizes and plain text tables, for build reports and the benchmark. */

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Rows under a header, columns padded; `markdown` adds pipes and the separator line. */
export function textTable(rows: readonly (readonly string[])[], { markdown = false } = {}): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const padded = rows.map((r) => widths.map((w, i) => (r[i] ?? "").padEnd(w)));
  if (!markdown) return padded.map((r) => r.join("  ").trimEnd()).join("\n");
  const lines = padded.map((r) => `| ${r.join(" | ")} |`);
  lines.splice(1, 0, `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  return lines.join("\n");
}
