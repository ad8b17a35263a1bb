package pii

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func testKey(t testing.TB, fill byte) []byte {
	t.Helper()
	return bytes.Repeat([]byte{fill}, 32)
}

func newTestProtector(t testing.TB, fill byte, opts ...Option) *Protector {
	t.Helper()
	p, err := NewProtector(testKey(t, fill), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewProtector(t *testing.T) {
	tests := []struct {
		name    string
		master  []byte
		opts    []Option
		wantErr bool
	}{
		{name: "32 bytes", master: make([]byte, 32)},
		{name: "64 bytes", master: make([]byte, 64)},
		{name: "31 bytes", master: make([]byte, 31), wantErr: true},
		{name: "nil", master: nil, wantErr: true},
		{name: "key version 0 reserved", master: make([]byte, 32), opts: []Option{WithKeyVersion(0)}, wantErr: true},
		{name: "short retired key", master: make([]byte, 32), opts: []Option{WithRetiredKey(1, make([]byte, 8)), WithKeyVersion(2)}, wantErr: true},
		{name: "retired version equals current", master: make([]byte, 32), opts: []Option{WithRetiredKey(1, make([]byte, 32))}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewProtector(tt.master, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	p := newTestProtector(t, 1)
	tests := []struct{ name, plain string }{
		{name: "身份证号", plain: "42062119800101123X"},
		{name: "name", plain: "张三丰"},
		{name: "empty", plain: ""},
		{name: "long", plain: string(bytes.Repeat([]byte("地址"), 500))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := p.Seal(tt.plain)
			if err != nil {
				t.Fatal(err)
			}
			if sealed[0] != DefaultKeyVersion {
				t.Errorf("version byte = %d", sealed[0])
			}
			if tt.plain != "" && bytes.Contains(sealed, []byte(tt.plain)) {
				t.Error("sealed value contains the plaintext")
			}
			got, err := p.Open(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.plain {
				t.Errorf("Open = %q, want %q", got, tt.plain)
			}
		})
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	p := newTestProtector(t, 1)
	a, _ := p.Seal("42062119800101123X")
	b, _ := p.Seal("42062119800101123X")
	if bytes.Equal(a, b) {
		t.Error("two seals of the same value are equal")
	}
}

func TestOpenRejects(t *testing.T) {
	p := newTestProtector(t, 1)
	sealed, _ := p.Seal("42062119800101123X")
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name string
		in   []byte
		p    *Protector
	}{
		{name: "empty", in: nil},
		{name: "only the version", in: sealed[:1]},
		{name: "truncated", in: sealed[:len(sealed)-1]},
		{name: "tampered ciphertext", in: flip(len(sealed) - 20)},
		{name: "tampered nonce", in: flip(2)},
		{name: "tampered tag", in: flip(len(sealed) - 1)},
		{name: "unknown version", in: append([]byte{9}, sealed[1:]...)},
		{name: "another master key", in: sealed, p: newTestProtector(t, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opener := p
			if tt.p != nil {
				opener = tt.p
			}
			if _, err := opener.Open(tt.in); !errors.Is(err, ErrCiphertext) {
				t.Errorf("Open error = %v, want ErrCiphertext", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := testKey(t, 1), testKey(t, 2)
	old := newTestProtector(t, 1)
	sealedOld, _ := old.Seal("old value")

	rotated, err := NewProtector(newKey, WithKeyVersion(2), WithRetiredKey(1, oldKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("opens values of the retired version", func(t *testing.T) {
		got, err := rotated.Open(sealedOld)
		if err != nil || got != "old value" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
	t.Run("seals under the new version", func(t *testing.T) {
		sealed, _ := rotated.Seal("new value")
		if sealed[0] != 2 || rotated.KeyVersion() != 2 {
			t.Fatalf("version = %d", sealed[0])
		}
		if _, err := old.Open(sealed); !errors.Is(err, ErrCiphertext) {
			t.Errorf("old protector opened a new value: %v", err)
		}
	})
	t.Run("version byte is authenticated", func(t *testing.T) {
		// Same master under two versions: relabelling a value must still fail.
		same, _ := NewProtector(oldKey, WithKeyVersion(3), WithRetiredKey(1, oldKey))
		relabelled := append([]byte{3}, sealedOld[1:]...)
		if _, err := same.Open(relabelled); !errors.Is(err, ErrCiphertext) {
			t.Errorf("relabelled value opened: %v", err)
		}
	})
}

func TestBlindIndex(t *testing.T) {
	p1 := newTestProtector(t, 1)
	p1again := newTestProtector(t, 1)
	p2 := newTestProtector(t, 2)
	a := makeID("420621", "19800101", "123")
	b := makeID("420621", "19800101", "125")
	x := xID(t)

	tests := []struct {
		name      string
		left      string
		right     string
		wantEqual bool
	}{
		{name: "stable for one number", left: p1.BlindIndex(a), right: p1.BlindIndex(a), wantEqual: true},
		{name: "same across protectors of one master key", left: p1.BlindIndex(a), right: p1again.BlindIndex(a), wantEqual: true},
		{name: "lower-case x normalised", left: p1.BlindIndex(x), right: p1.BlindIndex(" " + x[:17] + "x"), wantEqual: true},
		{name: "differs between numbers", left: p1.BlindIndex(a), right: p1.BlindIndex(b)},
		{name: "differs between master keys", left: p1.BlindIndex(a), right: p2.BlindIndex(a)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.left == tt.right) != tt.wantEqual {
				t.Errorf("%s vs %s: equal = %v, want %v", tt.left, tt.right, tt.left == tt.right, tt.wantEqual)
			}
			if len(tt.left) != BlindIndexLength {
				t.Errorf("length %d", len(tt.left))
			}
		})
	}
}

func TestProtectorConcurrentUse(t *testing.T) {
	p := newTestProtector(t, 1)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			for j := 0; j < 200; j++ {
				s, err := p.Seal("v")
				if err != nil {
					t.Error(err)
					return
				}
				if v, err := p.Open(s); err != nil || v != "v" {
					t.Error("round trip failed")
					return
				}
				_ = p.BlindIndex("42062119800101123X")
			}
		})
	}
	wg.Wait()
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "pii.key")

	t.Run("creates a 0600 file with 32 random bytes", func(t *testing.T) {
		key, err := LoadOrCreateMasterKey(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != 32 {
			t.Errorf("len = %d", len(key))
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v", fi.Mode().Perm())
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("left temporary files behind: %v", entries)
		}
	})
	t.Run("reads the same key again", func(t *testing.T) {
		a, err := LoadOrCreateMasterKey(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := LoadOrCreateMasterKey(path)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("keys differ: %v", err)
		}
	})
	t.Run("concurrent creators agree", func(t *testing.T) {
		p := filepath.Join(dir, "race.key")
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := LoadOrCreateMasterKey(p)
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for _, k := range keys[1:] {
			if !bytes.Equal(k, keys[0]) {
				t.Fatal("concurrent creators got different keys")
			}
		}
	})
	t.Run("rejects a short key file", func(t *testing.T) {
		p := filepath.Join(dir, "short.key")
		os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))), 0o600)
		if _, err := LoadOrCreateMasterKey(p); !errors.Is(err, ErrMasterKey) {
			t.Errorf("err = %v, want ErrMasterKey", err)
		}
	})
	t.Run("rejects a file that is not base64", func(t *testing.T) {
		p := filepath.Join(dir, "garbage.key")
		os.WriteFile(p, []byte("not a key!"), 0o600)
		if _, err := LoadOrCreateMasterKey(p); err == nil {
			t.Error("accepted garbage")
		}
	})
}

func TestMasterKeyFromEnv(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	tests := []struct {
		name    string
		value   string
		wantOK  bool
		wantErr bool
	}{
		{name: "unset", value: "", wantOK: false},
		{name: "standard base64", value: base64.StdEncoding.EncodeToString(key), wantOK: true},
		{name: "raw URL base64", value: base64.RawURLEncoding.EncodeToString(key), wantOK: true},
		{name: "surrounding newline", value: base64.StdEncoding.EncodeToString(key) + "\n", wantOK: true},
		{name: "too short", value: base64.StdEncoding.EncodeToString(key[:16]), wantOK: true, wantErr: true},
		{name: "not base64", value: "%%%", wantOK: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(MasterKeyEnv, tt.value)
			got, ok, err := MasterKeyFromEnv()
			if ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Fatalf("ok = %v, err = %v", ok, err)
			}
			if tt.wantOK && !tt.wantErr && !bytes.Equal(got, key) {
				t.Error("wrong key")
			}
			if err != nil && tt.value != "" && bytes.Contains([]byte(err.Error()), []byte(tt.value)) {
				t.Error("error echoes the key")
			}
		})
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	p := newTestProtector(b, 1)
	for b.Loop() {
		p.BlindIndex("42062119800101123X")
	}
}

func BenchmarkSeal(b *testing.B) {
	p := newTestProtector(b, 1)
	for b.Loop() {
		p.Seal("42062119800101123X")
	}
}

func BenchmarkParseIDNumber(b *testing.B) {
	id := makeID("420621", "19800101", "123")
	for b.Loop() {
		ParseIDNumber(id, today)
	}
}
