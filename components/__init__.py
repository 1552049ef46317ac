"""kthw components: pure planning functions and the Pulumi resources that wire them to Outputs."""
