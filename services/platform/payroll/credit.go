package payroll

import "strings"

// Unified social credit codes (统一社会信用代码, GB 32100-2015) identify organisation payees: 18 characters
// from "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z): a registration authority code, an
// organisation kind, a 6-digit administrative division code, a 9-character organisation code and a check
// character computed over the first 17.

const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidCreditCode reports whether code is a well-formed unified social credit code with a correct check
// character.
func ValidCreditCode(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, code[i])
		if v < 0 {
			return false
		}
		sum += v * creditWeights[i]
	}
	check := (31 - sum%31) % 31
	return code[17] == creditAlphabet[check]
}

// OrganisationBeneficiary is the beneficiary of a line paid to an organisation.
func OrganisationBeneficiary(creditCode string) string { return "organisations/" + creditCode }

// OrganisationCreditCode returns the credit code of an organisation beneficiary; ok is false for another
// kind of beneficiary.
func OrganisationCreditCode(beneficiary string) (string, bool) {
	return strings.CutPrefix(beneficiary, "organisations/")
}
