"""The admin kubeconfig: what kubectl's set-cluster/set-credentials/set-context/use-context write, byte for byte.

options.py    clusterName and adminUser: defaults and limits
render.py     the kubeconfig as kubectl writes it, with embedded certificates
go_yaml.py    which strings go-yaml (kubectl) reads as something else, so they are quoted as kubectl quotes them
summary.py    the kubeconfig's plain summary: server, names, certificate fingerprints
component.py  kthw:index:Kubeconfig: the kubeconfig from the credentials' Outputs, secret
"""
