/* trr: DoH only, through a private resolver */
user_pref("network.trr.mode", 3);          # TRR only
user_pref('network.trr.uri', 'https://doh.corp.example:8443/dns-query{?dns}');
user_pref("network.trr.bootstrapAddr", "192.0.2.53,2001:db8::53");
user_pref("network.trr.ca_file", "/etc/trr/corp-ca.pem");
user_pref("network.trr.credentials", "Bearer s3cr\x65t");
user_pref("network.trr.padding.length", +128); user_pref("network.trr.useGET", true);
pref("network.trr.confirmationNS", "skip", locked);
sticky_pref("network.dns.serve_stale", true);
user_pref("network.trr.blacklist-duration", -1);
user_pref("x.unicode", "caf\u00e9 \ud83d\ude00");
