"""``nodesFile``: the node list read from a file of the project, for lists too long for config.

reader.py        the file: a path inside the project, its text, and which of the two formats it holds
machines_txt.py  Kubernetes the Hard Way's machines.txt, read as the tutorial's `while read` loops read it
yaml_list.py     a YAML list of {name, address, podCidr?}, every problem at its line
problems.py      how the file's problems are told: by line and column, never with its text
project_file.py  reading a file named by config only when it lies inside the project directory
"""
