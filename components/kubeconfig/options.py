"""The kubeconfig's names: ``clusterName`` (cluster and context) and ``adminUser`` (user, and the admin certificate's
CN), each with its default and its limit."""

from __future__ import annotations

import re
from typing import Any

from components.config.errors import ConfigError
from components.config.values import matching_string

DEFAULT_CLUSTER_NAME = "kubernetes-the-hard-way"
DEFAULT_ADMIN_USER = "admin"
CLUSTER_NAME_MAX = 253
"""A kubeconfig name has no limit of its own; a DNS subdomain's (RFC 1123) keeps it readable everywhere."""
COMMON_NAME_MAX = 64
"""RFC 5280's ub-common-name: the admin certificate's CN is the user name, and Go refuses a longer one."""
_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._:@-]*[A-Za-z0-9])?")
_NAME_ACCEPTED = "1 to {} ASCII letters, digits, '.', '_', ':', '@' or '-', starting and ending with a letter or digit"


def parse_name(value: Any, key: str, longest: int) -> str:
    """A kubeconfig name (cluster, context, user): plain ASCII characters kubectl and X.509 both take as is."""
    accepted = _NAME_ACCEPTED.format(longest)
    name = matching_string(value, key, _NAME, accepted)
    if len(name) > longest:
        raise ConfigError(key, f"has {len(name)} characters, more than {longest}", accepted,
                          without_values=f"is longer than {longest} characters")
    return name
