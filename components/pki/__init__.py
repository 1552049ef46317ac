"""The CA and the credentials it signs: the cluster's own CA from config (checked as Go's crypto/x509 reads
it) or one the stack generates and protects, the admin key and certificate, and when each expires.

options.py          pki (PkiOptions), the CA pair caCertPem/caKeyPem, and the lifetime rules between CA and admin
ca_pem.py           the checks of a configured CA and its key, every problem together
ca_encoding.py      what Go's parsers refuse in a CA's encoding (version, serial, names, key algorithms)
ca_extensions.py    what Go makes of a CA's extensions (critical ones, extendedKeyUsage, name constraints)
der.py              a small DER reader, for the fields cryptography does not expose
last_ca.py          which CA the last deployment signed with (generated or the cluster's own)
lifetimes.py        when the CA and the admin certificate expire, and the warnings before they do
api_server_sans.py  the names kube-apiserver's serving certificate must carry for this access path
client.py           a client certificate signed by the CA: key, request and certificate, renewed in its window
component.py        kthw:index:AdminCredentials: the CA (given or generated), the admin key and certificate, the
                    provider's identity and the break-glass credential; the lifetime check at start
"""
