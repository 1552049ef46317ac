"""kthw's components: one package per concern, each shaped alike: its options (options.py: the config keys it reads,
parsed into frozen dataclasses that declare each default once; cluster/ reads none of its own, verify being a
top-level boolean of Settings), plain modules that do the work, and its ComponentResource in component.py. Each
package's docstring maps its modules.

config/      the config as a whole: errors and how messages show values, readers, secret config, the program's start
network/     the network plan: addresses, pod CIDR blocks, rules, allocation, the last deployment, the network output
             (kthw:index:ClusterNetwork)
pki/         the CA (configured or generated) and the admin credentials it signs (kthw:index:AdminCredentials)
kubeconfig/  the admin kubeconfig and its plain summary (kthw:index:Kubeconfig)
tunnel/      the SSH tunnel to kube-apiserver, typed or managed by the stack (kthw:index:ApiTunnel)
cluster/     the live cluster as verify reads it, and what verify makes of it (kthw:index:ClusterVerification)
kubernetes/  putting objects into the cluster: the provider, typed resources, someone else's objects
             (kthw:index:ClusterConnection)
podnetwork/  the pod network the plan is carried into the cluster with, and the nodes' podCIDRs
             (kthw:index:PodNetwork)
dns/         the cluster DNS at the plan's DNS IP (kthw:index:ClusterDns)
users/       users bound by RBAC, the admin two ways, break-glass, kube-apiserver's access to the kubelets
"""
