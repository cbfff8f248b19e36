user_pref("network.trr.mode", 3);
user_pref("network.trr.uri", "https://dns.example/
