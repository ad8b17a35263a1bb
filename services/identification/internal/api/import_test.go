package api

import (
	"testing"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/internal/domain"
)

// The domain's import outcomes share their numbers with the contract, so converting is a cast.
func TestImportOutcomesMatchContract(t *testing.T) {
	for v, want := range map[domain.LedgerOutcome]identificationv1.ImportOutcome{
		domain.LedgerOutcomeUnspecified: identificationv1.ImportOutcome_IMPORT_OUTCOME_UNSPECIFIED,
		domain.LedgerRejected:           identificationv1.ImportOutcome_IMPORT_OUTCOME_REJECTED,
		domain.LedgerConflict:           identificationv1.ImportOutcome_IMPORT_OUTCOME_CONFLICT,
		domain.LedgerAlreadyImported:    identificationv1.ImportOutcome_IMPORT_OUTCOME_ALREADY_IMPORTED,
	} {
		if identificationv1.ImportOutcome(v) != want {
			t.Errorf("domain outcome %d is %s in the contract, want %s", v, identificationv1.ImportOutcome(v), want)
		}
	}
	if len(identificationv1.ImportOutcome_name) != 4 {
		t.Errorf("the contract has %d import outcomes; map the new ones in the domain", len(identificationv1.ImportOutcome_name))
	}
	// Every reason the import reports is a value of the contract's ErrorReason.
	for _, r := range []string{domain.ReasonImportHeaderInvalid, domain.ReasonImportValueRequired, domain.ReasonImportValueInvalid,
		domain.ReasonImportLabelUnknown, domain.ReasonImportValueInconsistent, domain.ReasonImportHouseholdSplit,
		domain.ReasonImportHouseholdConflict, domain.ReasonImportAlreadyImported, domain.ReasonImportRowsOutOfOrder} {
		if _, ok := identificationv1.ErrorReason_value[r]; !ok {
			t.Errorf("reason %s is not in fupin.identification.v1.ErrorReason", r)
		}
	}
}
