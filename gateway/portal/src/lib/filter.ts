// filter.ts writes AIP-160 filters as fupin's List methods parse them (services/platform/filter): terms
// `field op value` joined by AND; strings quoted with backslash escapes; ":" on a string is a prefix.

/** quote writes a string literal. */
export function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'
}

/** and joins the terms that are set. */
export function and(...terms: (string | false | undefined | null)[]): string {
  return terms.filter((t): t is string => typeof t === 'string' && t !== '').join(' AND ')
}

/** eq compares a string field: `household_number = "A-1"`. */
export const eq = (field: string, value: string): string => `${field} = ${quote(value)}`

/** prefix matches a string field's start: `region_code:"990001002"`. */
export const prefix = (field: string, value: string): string => `${field}:${quote(value)}`

/** is compares an enum or number field: `registry_status = REGISTRY_STATUS_POOR`. */
export const is = (field: string, value: string | number): string => `${field} = ${value}`

/**
 * memberName filters households by a current member's name. ListHouseholds gains this filter next
 * (issue 10); as agreed there, a name ending in "*" is a prefix (`member_name:"王*"`), anything else exact
 * (`member_name = "王大山"`). See docs/PORTAL.md.
 */
export function memberName(text: string): string {
  const t = text.trim()
  return t.endsWith('*') ? `member_name:${quote(t)}` : eq('member_name', t)
}
