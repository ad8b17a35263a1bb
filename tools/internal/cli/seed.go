package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	identificationv1 "fupin.dev/proto/gen/fupin/identification/v1"
	"fupin.dev/services/identification/ledger"
	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/bizdate"
	"fupin.dev/services/platform/tabular"
)

// runSeed writes a synthetic county as a household ledger (户籍台账) in the layout `fupin import
// households` reads (docs/IMPORT.md): any size, deterministic for a seed, every 身份证号 in the
// non-existent province 99 so none can belong to a real person.
func runSeed(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	households := fs.Int("households", 3000, "households to generate")
	out := fs.String("out", "", "output file, .csv or .xlsx (default ledger.csv, or ledger.xlsx with --xlsx)")
	xlsx := fs.Bool("xlsx", false, "write XLSX instead of CSV")
	seed := fs.Int64("seed", 20240101, "generator seed: the same seed, date and regions give the same county")
	deploy := fs.String("deploy", envOr("FUPIN_DEPLOY_DIR", "deploy"), "deploy directory (regions/demo-county.json)")
	regionsFile := fs.String("regions", "", "region master data file (default <deploy>/regions/demo-county.json)")
	today := fs.String("today", bizdate.Today(time.Now()), "the date ages are counted to (YYYY-MM-DD)")
	merged := fs.Bool("merged", false, "write household cells (户编号, 行政区划代码 …) on a household's first row only, as merged cells read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *households < 0 {
		return fmt.Errorf("%w: fupin seed [--households N] [--out FILE.csv|FILE.xlsx] [--xlsx] [--seed S] [--merged]", errUsage)
	}
	if *out == "" {
		*out = "ledger.csv"
		if *xlsx {
			*out = "ledger.xlsx"
		}
	} else if *xlsx && tabular.FormatOf(*out) != tabular.XLSX {
		return fmt.Errorf("%w: --xlsx needs an --out file ending in .xlsx", errUsage)
	}
	if *regionsFile == "" {
		*regionsFile = filepath.Join(*deploy, "regions", "demo-county.json")
	}
	day, err := bizdate.Parse(*today)
	if err != nil {
		return fmt.Errorf("%w: --today: %v", errUsage, err)
	}
	regions, err := synth.LoadRegions(*regionsFile)
	if err != nil {
		return err
	}
	start := time.Now()
	w, err := tabular.Create(*out)
	if err != nil {
		return err
	}
	persons, err := writeCounty(w, synth.New(*seed, regions, day), *households, *merged)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d households (%d persons) to %s in %s\n", *households, persons, *out,
		time.Since(start).Round(10*time.Millisecond))
	return nil
}

// writeCounty writes n generated households, one row per person, after the header row. It returns the
// number of persons.
func writeCounty(w tabular.Writer, gen *synth.Generator, n int, merged bool) (int, error) {
	if err := w.Write(ledger.Header()); err != nil {
		return 0, err
	}
	persons := 0
	row := make([]string, len(ledger.Columns))
	for range n {
		h := gen.Next()
		registry := ledger.RegistryLabels[identificationv1.RegistryStatus_value["REGISTRY_STATUS_"+strings.ToUpper(h.Status)]]
		exitYear := ""
		if h.ExitYear > 0 {
			exitYear = strconv.Itoa(h.ExitYear)
		}
		for i, m := range h.Members {
			row = row[:0]
			if i == 0 || !merged {
				row = append(row, h.Number, h.RegionCode, h.Address)
			} else {
				row = append(row, "", "", "")
			}
			row = append(row, m.Name, m.IDNumber,
				ledger.RelationLabels[identificationv1.Relation_value["RELATION_"+strings.ToUpper(m.Relation)]],
				ledger.EthnicityName(m.Ethnicity),
				ledger.EducationLabels[identificationv1.Education_value["EDUCATION_"+strings.ToUpper(m.Education)]],
				ledger.HealthLabels[identificationv1.Health_value["HEALTH_"+strings.ToUpper(m.Health)]],
				ledger.LabourLabels[identificationv1.LabourAbility_value["LABOUR_ABILITY_"+strings.ToUpper(m.LabourAbility)]])
			if i == 0 || !merged {
				row = append(row, registry, exitYear)
			} else {
				row = append(row, "", "")
			}
			row = append(row, "") // 登记日期: registered on the day of the import
			if err := w.Write(row); err != nil {
				return persons, err
			}
			persons++
		}
	}
	return persons, nil
}
