"""``kthw:index:Kubeconfig``: a kubeconfig (the admin's, a user's, the break-glass one) rendered from the credentials'
Outputs, secret as a whole."""

from __future__ import annotations

import pulumi

from components.kubeconfig.render import render_kubeconfig


class Kubeconfig(pulumi.ComponentResource):
    """``kthw:index:Kubeconfig``: one kubeconfig, a secret Output."""

    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        user: pulumi.Input[str],
        server: pulumi.Input[str],
        ca_cert_pem: pulumi.Input[str],
        client_cert_pem: pulumi.Input[str],
        client_key_pem: pulumi.Input[str] | None,
        context_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:Kubeconfig", name, None, opts)
        rendered = pulumi.Output.all(
            cluster_name=cluster_name, user=user, server=server, ca_cert_pem=ca_cert_pem,
            client_cert_pem=client_cert_pem, client_key_pem=client_key_pem,
        ).apply(lambda values: render_kubeconfig(**values, context_name=context_name))
        self.kubeconfig = pulumi.Output.secret(rendered)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)
