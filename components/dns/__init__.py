"""The cluster DNS (dns): CoreDNS at the plan's DNS IP, for the plan's cluster domain.

options.py    dns and coredns: the server, its image and replicas
coredns.py    CoreDNS's objects, as Kubernetes v1.37's addon manifest deploys it
rules.py      what a preview says when the DNS IP moves
component.py  kthw:index:ClusterDns: the server's objects
"""
