// Package authzmatrix holds the authorization matrix (docs/SECURITY.md): a test that starts the county's
// services and calls every method of every fupin service, found in the compiled contracts, as every
// department × role × region scope and as services, and checks each answer against the method's access
// rule: default deny, region scope, and plain personal data only where a grant allows it. A new method or
// service joins the matrix without anyone writing a case; a new service process is started in
// startCounty.
package authzmatrix
