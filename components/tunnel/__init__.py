"""The SSH tunnel through the load balancer to kube-apiserver: the command a person runs, or a tunnel the stack
opens, watches and reopens (tunnel.manage).

options.py           loadBalancer and tunnel (LoadBalancer, TunnelOptions), and the load balancer address rules
ssh_files.py         the paths ssh reads (identityFile, knownHostsFile): only ones ssh reads as exactly that file
command.py           the ssh command line, the managed tunnel's options, and its shell program
tunnel.sh            the managed tunnel's open and close, run by pulumi-command
record.py            the managed tunnel's record: open here or not, the Command's triggers, this run's attempt
socket_directory.py  where the control socket and record live on this machine, and whether it can be made
preflight.py         what the managed tunnel needs of this machine, checked at start (ssh, a writable directory)
local_port.py        whether tunnel.localPort can be listened on and kept (warnings)
component.py         kthw:index:ApiTunnel: tunnelCommand, and the managed tunnel's Command
"""
