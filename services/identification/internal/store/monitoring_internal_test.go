package store

import "testing"

func TestSignedAmount(t *testing.T) {
	tests := []struct {
		name string
		m    [6]int64
		want string
	}{
		{"every type (the default)", [6]int64{0, 1, 1, 1, 1, -1}, "CASE WHEN i.item_type BETWEEN 1 AND 4 THEN i.amount_fen WHEN i.item_type = 5 THEN -i.amount_fen ELSE 0 END"},
		{"transfers left out", [6]int64{0, 1, 1, 1, 0, -1}, "CASE WHEN i.item_type BETWEEN 1 AND 3 THEN i.amount_fen WHEN i.item_type = 5 THEN -i.amount_fen ELSE 0 END"},
		{"gaps", [6]int64{0, 1, 0, 1, 1, 0}, "CASE WHEN i.item_type = 1 OR i.item_type BETWEEN 3 AND 4 THEN i.amount_fen ELSE 0 END"},
		{"wages only", [6]int64{0, 1, 0, 0, 0, 0}, "CASE WHEN i.item_type = 1 THEN i.amount_fen ELSE 0 END"},
		{"nothing", [6]int64{}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signedAmount(tt.m); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
