"""What the tests share; no test lives here.

backends.py         throwaway state backends: a directory, PostgreSQL and MinIO on loopback
cluster.py          a throwaway hard-way control plane on loopback: cfssl PKI, etcd, kube-apiserver, sshd
cluster_stack.py    stacks that put objects into a cluster, each with a control plane from its own flags
engine.py           the real Pulumi engine: a copy of the project on its own backend, the toolchain, preview diffs
host_faults.py      a machine that lacks what the managed tunnel needs: a program missing from PATH, mode 0555
lab.py              the end-to-end lab: a stack pointed at it, kubectl with its kubeconfig alone, failed runs
leaks.py            what a message about config set with --secret must not show of it
mock_program.py     __main__.py under Pulumi mocks: resources, outputs and their secrecy; the dev config
named_process.py    a process under another program's name (argv[0]), started once /proc shows its command line
network_specs.py    network specs, plans and last deployments from short literals
pki.py              real certificates made with cryptography: CAs good or unusual in one way, client certificates
s3_client.py        the few S3 calls the harness makes against MinIO
server_process.py   who the harness's servers run as (nobody under root)
workflow_runner.py  a GitHub Actions job's own shell steps, run as a runner runs them
"""
