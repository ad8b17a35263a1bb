// Package pii is how every fupin service handles personal data: it parses and checks the
// identifiers of DOMAIN.md (身份证号, GB 11643; 残疾人证号), masks them for display and public notices,
// and protects them at rest.
//
// # Identifiers
//
// [ParseIDNumber] checks a 身份证号 completely (length, characters, region, a real birth date that is
// neither before 1900 nor in the future, and the ISO 7064 MOD 11-2 check character) and returns what
// the number says: region, birth date (a date in Asia/Shanghai) and sex. Each way of being wrong is a
// distinct sentinel error (ErrIDLength, ErrIDCharacters, ErrIDRegion, ErrIDBirthDate, ErrIDFutureBirth,
// ErrIDCheckDigit), wrapped with a detail that names positions, never the number or any of its digits,
// so that the error can be logged and shown to the caller as is. [ParseDisabilityCertificate] does the same
// for 残疾人证号.
//
// # Masking
//
// [ViewPerson] is the one decision, for every service, of what a caller sees of a person's identity:
// with plain access the number and the birth date; for fupin services the masked number and the birth
// date; for everyone else the masked view: [MaskIDNumber] (the first 4 and the last 2 characters,
// "4206************3X"), the birth year (withheld for the current and the previous year) and the sex, never
// a birth date or an age. [CountCandidates] measures a view: it enumerates the numbers consistent with
// everything shown and the public facts; the masked view leaves at least 3,285 per region code
// (docs/MASKING.md). [ViewRecord] applies the view to person facts kept in JSON step data. [MaskName]
// keeps the first character of a name (张三丰 → 张**) for public notices.
//
// # Names
//
// [NormalizeName] is the one check of a person's name: NFC, trimmed, no control or format characters, at
// least one letter, at most [MaxNameLength] characters.
//
// # At rest: encryption and blind index
//
// A [Protector] derives two independent 32-byte keys from one master key with HKDF-SHA256: one
// encrypts values (AES-256-GCM, [Protector.Seal] and [Protector.Open]) and one computes the blind index
// ([Protector.BlindIndex]), a keyed hash of the normalised 身份证号 that is stored next to the ciphertext
// and used for lookup, de-duplication and matching.
//
// All fupin services of one county share the same master key through configuration (FUPIN_PII_KEY, see
// [MasterKeyFromEnv]; `fupin dev` keeps one in its data directory, see [LoadOrCreateMasterKey]). This is a
// deliberate choice: the blind index is deterministic per master key, so two departments that hold the same
// person compute the same index and can match persons across departments without exchanging plain
// numbers. The flip side is that the master key is as sensitive as all the personal data of the county
// together: keep it in a secret store, never in a repository, image or log, and never reuse a county's
// key in another county or in a test or demo installation.
//
// Rotation: a sealed value starts with a one-byte key version. A Protector seals with its current
// version and opens values sealed under retired versions it was given ([WithRetiredKey]). The blind index
// always uses the current master key, so rotating the master key is a job that opens every value with the
// old key, seals it again and recomputes its blind index.
//
// The package has no gRPC or SQL dependencies; domain packages use it directly.
package pii
