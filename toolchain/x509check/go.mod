// The go line sets the GODEBUG defaults crypto/x509 and crypto/rsa follow (x509negativeserial, rsa1024min...):
// the tls provider's module says go 1.25 and kube-apiserver's go 1.26, and none of those settings changed between
// the two.
module kthw.local/x509check

go 1.25.0
