"""The ISP domain: models, rules, reads and actions. Imports neither strawberry nor gateway."""
