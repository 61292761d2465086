"""Imports: one engine for scheduled work (issue 20), whatever the source (a scheduled provisioning, a CSV file,
a change to a subscription) and whatever the kind of item.

- imports: claims (claim due, claim one, leases, cancel, retry, lease recovery, the attempt limit);
- kinds: what an item does (validate, perform, record), registered once; provision: the "provision" kind;
- import_batch: the one in-memory shape of claimed work; runner: validates and performs each item by its kind;
- writer: the results, the kinds' rows and the e-mails, in a few statements where the claim still holds;
- completion: the status people see and the completion e-mail;
- bulk_import, csv_rows, csv_import, uploads: a CSV file's rows become items; listing: My imports and staff's list.
"""
