"""The network plan: cluster and service ranges, the service IPs, a pod CIDR per node that never moves once given,
routes, and the flags every component needs.

options.py           the network keys and the node list (nodes or nodesFile), parsed and checked against every rule
keys.py              how messages name the network's keys: network.clusterCidr, nodes[2].address, a node file's line
node_fields.py       one node's fields {name, address, podCidr?}, read fast for 5,000 nodes
nodes_file/          nodesFile: the node list from a file of the project (machines.txt or YAML)
model.py             NetworkSpec (the parsed config, its fields the keys and defaults) and NetworkPlan (the result)
addresses.py         strict IP and CIDR parsing as Go and the Kubernetes API read them; address arithmetic
usable_address.py    the addresses kubelet refuses as a node IP (loopback, multicast, link-local, unspecified)
blocks.py            PodBlock and the one parser of block text: canonical (config), strict (the plan), lenient (a Node)
rules.py             every static rule, with its Kubernetes source: families, sizes, masks, overlaps, names, pins
allocation.py        pod CIDR allocation, as kube-controller-manager's range allocator: pins, held blocks, lowest free
assigned_blocks.py   the blocks nodes hold (last deployment, cluster) and the refusals of a config that moves them
last_deployment.py   the last deployment's allocation, read back strictly from its network output
decision.py          the plan made from the config and the last deployment, before any resource is registered
output.py            the plan rendered: flags, routes, the network stack output
tables.py            the network output's node and route tables (text), and their readers
node_changes.py      the preview's one line of node changes (added, removed, moved, readdressed)
cycle_collection.py  the cycle collector paused while 5,000 nodes' objects are built
component.py         kthw:index:ClusterNetwork: the network output in both modes (with verify, its ClusterVerification),
                     and what a preview logs about the plan
"""
