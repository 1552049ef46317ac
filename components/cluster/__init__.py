"""The live cluster, read by verify through the stack's own kubeconfig: the podCIDRs its nodes carry are kept in
the plan, and the rest is checked against it.

api.py        a minimal read-only client of kube-apiserver: the kubernetes Service and the nodes
adoption.py   the plan that keeps the podCIDRs the cluster's nodes carry, and what it changed
verify.py     what verify makes of what it read: the network to record, the result, every problem
component.py  kthw:index:ClusterVerification: when the cluster is read (an update, through an open tunnel)
"""
