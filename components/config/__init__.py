"""The config as a whole: how a problem is reported and a value shown, the readers every package's options use, what
stays secret, and the program's start.

errors.py         ConfigError (key, problem, what is accepted) and the collection of every problem of a run
shown.py          how a message shows a value: by its kind when long or key material, nothing of secret config
wording.py        counts and lists of names in messages: "2 nodes", "a, b and 3 more"
values.py         readers of single values (integer, boolean, one of, JSON object), each naming its key
objects.py        a config object read into its options dataclass: keys and defaults are the dataclass's fields
dns_names.py      the one DNS-name rule (RFC 1123 host names), and why node names follow another
secret_config.py  what stays secret when a key is set with --secret: outputs, and every resource input and output
fingerprints.py   keyed digests of secret config, a plain output that shows a change without the value
stack.py          this stack's name and its last deployment's outputs, read at start
settings.py       Settings, one field per top-level key, and parse_settings over every package's options
load.py           the program's start: the namespace's config, the settings and the network decision, or one error
"""
