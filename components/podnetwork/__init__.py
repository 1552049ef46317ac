"""The pod network the plan is carried into the cluster with (podNetwork): none, Weave, Flannel or the tutorial's
bridge, and each node's podCIDRs where the network reads them.

options.py     podNetwork, weave and flannel: the network, its images, Flannel's backend, a Weave range change
images.py      container image references, read as containerd reads them, and pinned
weave.py       Weave Net 2.9.0's objects, IPALLOC_RANGE set to the cluster range
flannel.py     Flannel v0.28.9's objects, net-conf.json made from the plan
bridge.py      the bridge network's 10-bridge.conf for a node
node_cidrs.py  the Node applies that give every listed node the plan's podCIDRs (flannel, bridge)
rules.py       what a pod network refuses of the plan, and the warning when it switches
component.py   kthw:index:PodNetwork: the network's objects and the node applies
"""
