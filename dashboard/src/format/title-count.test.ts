import { describe, expect, it } from "vitest";
import { titleWithCount } from "./title-count.js";

describe("titleWithCount", () => {
  it("puts the open count in front, replaces an old one, and drops it at 0 or unknown", () => {
    expect(titleWithCount("coldtrail", 3)).toBe("(3) coldtrail");
    expect(titleWithCount("(3) Alerts · coldtrail", 4)).toBe("(4) Alerts · coldtrail");
    expect(titleWithCount("(4) Alerts · coldtrail", 0)).toBe("Alerts · coldtrail");
    expect(titleWithCount("(999+) coldtrail", null)).toBe("coldtrail");
    expect(titleWithCount("coldtrail", 1000)).toBe("(999+) coldtrail");
  });
});
