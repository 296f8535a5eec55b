/** The open-alert count in front of a page title: "(3) Alerts · coldtrail"; none when 0 or unknown. */
export function titleWithCount(title: string, openCount: number | null): string {
  const bare = title.replace(/^\(\d+\+?\) /, "");
  if (openCount === null || openCount <= 0) return bare;
  return `(${openCount >= 1000 ? "999+" : openCount}) ${bare}`;
}
