"""Access that can be taken back: users with certificates of their own bound by RBAC, the admin two ways, a
break-glass credential, and kube-apiserver's access to the kubelets.

options.py    users, adminAccess, breakGlass, kubeletApiUser: who gets what
rules.py      what users refuses: reserved names and groups, duplicates, bad namespaces and roles, a foreign CSR
csr.py        a user's certificate request (one O per group), made deterministically, or checked when brought
bindings.py   the RBAC objects: each user's bindings named after their role, the admin's, the kubelets'; what
              the bindings need that kthw does not make
record.py     the plain users output, and the removed users whose certificates are still valid
component.py  kthw:index:UserCredentials (a user's certificate and kubeconfig), kthw:index:ClusterAccess
"""
