package api

import (
	"context"
	"strings"

	"fupin.dev/services/platform/pagetoken"

	subsidiesv1 "fupin.dev/proto/gen/fupin/subsidies/v1"
	"fupin.dev/services/subsidies/internal/domain"
)

// Certificates serves fupin.subsidies.v1.CertificateService: the disability certificate register (残联).
type Certificates struct {
	subsidiesv1.UnimplementedCertificateServiceServer
	certs *domain.Certificates
}

var _ subsidiesv1.CertificateServiceServer = (*Certificates)(nil)

// NewCertificates returns the certificate handlers.
func NewCertificates(certs *domain.Certificates) *Certificates { return &Certificates{certs: certs} }

func certificateID(name string) string { return strings.TrimPrefix(name, "certificates/") }

// respond converts a certificate for the caller: the plain number only for those the method's access
// rule and a stated purpose allow.
func (s *Certificates) respond(ctx context.Context, c *domain.Certificate) (*subsidiesv1.Certificate, error) {
	_, ac := certCaller(ctx)
	plain := ""
	if ac.PlainText {
		var err error
		if plain, err = s.certs.Reveal(c); err != nil {
			return nil, err
		}
	}
	return toCertificate(c, plain), nil
}

func (s *Certificates) RegisterCertificate(ctx context.Context, req *subsidiesv1.RegisterCertificateRequest) (*subsidiesv1.Certificate, error) {
	by, _ := certCaller(ctx)
	c, err := s.certs.RegisterCertificate(ctx, by, domain.NewCertificate{Number: req.GetNumber(), IssueDate: req.GetIssueDate()})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, c)
}

func (s *Certificates) GetCertificate(ctx context.Context, req *subsidiesv1.GetCertificateRequest) (*subsidiesv1.Certificate, error) {
	by, _ := certCaller(ctx)
	c, err := s.certs.GetCertificate(ctx, by, certificateID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, c)
}

// Page sizes of ListCertificates.
const (
	certDefaultPageSize = 50
	certMaxPageSize     = 1000
)

func (s *Certificates) ListCertificates(ctx context.Context, req *subsidiesv1.ListCertificatesRequest) (*subsidiesv1.ListCertificatesResponse, error) {
	by, _ := certCaller(ctx)
	after, err := pagetoken.After(req.GetPageToken(), "c1")
	if err != nil {
		return nil, err
	}
	cs, next, err := s.certs.ListCertificates(ctx, by, req.GetFilter(), after,
		certPageSize(req.GetPageSize(), certDefaultPageSize, certMaxPageSize))
	if err != nil {
		return nil, err
	}
	resp := &subsidiesv1.ListCertificatesResponse{NextPageToken: pagetoken.Encode("c1", next)}
	for _, c := range cs {
		pc, err := s.respond(ctx, c)
		if err != nil {
			return nil, err
		}
		resp.Certificates = append(resp.Certificates, pc)
	}
	return resp, nil
}

func (s *Certificates) RevokeCertificate(ctx context.Context, req *subsidiesv1.RevokeCertificateRequest) (*subsidiesv1.Certificate, error) {
	by, _ := certCaller(ctx)
	c, err := s.certs.RevokeCertificate(ctx, by, certificateID(req.GetName()),
		domain.CertificateEnd{Date: req.GetEffectiveDate(), Reason: req.GetReason(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, c)
}

func (s *Certificates) MoveCertificate(ctx context.Context, req *subsidiesv1.MoveCertificateRequest) (*subsidiesv1.Certificate, error) {
	by, _ := certCaller(ctx)
	c, err := s.certs.MoveCertificate(ctx, by, certificateID(req.GetName()),
		domain.CertificateEnd{Date: req.GetEffectiveDate(), Reason: "迁往 " + req.GetDestination(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, c)
}
