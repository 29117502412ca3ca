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

/** 83 s, 4 min 10 s, 2 h 5 min. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
