extension FakeDaftra {
    /// The clients ``daftra(_:)`` knows, by id, as the exact JSON text of the
    /// `Client` object. Between them they carry what live Daftra data does and the
    /// documentation example does not: booleans as `0`/`1` or `"0"`, numbers as
    /// strings, `1.50` kept as written, nulls, extra keys, escapes (`\"`, `\/`,
    /// `\n`, `\u0634`), raw UTF-8, and nested values.
    ///
    /// - 1: documented types (real booleans and integers), `"starting_balance":1.50`.
    /// - 2: Arabic names as `\u` escapes, a nested object and an array.
    /// - 715: everything as strings, raw UTF-8 Arabic, extra keys at the end.
    public static let clients: [Int: String] = [
        1: client1,
        2: client2,
        715: client715,
    ]

    private static let client1 = #"""
        {"id":1,"is_offline":false,"client_number":"0000001","staff_id":0,\#
        "business_name":"","first_name":"Sara","last_name":"Ali","email":"sara.ali@example.com",\#
        "address1":"5 Garden Rd","address2":null,"city":"Amman","state":"","postal_code":"11118",\#
        "phone1":"+962 6 555 0100","phone2":"","country_code":"JO","notes":"",\#
        "active_secondary_address":false,"secondary_name":"","secondary_address1":"",\#
        "secondary_address2":"","secondary_city":"","secondary_state":"","secondary_postal_code":"",\#
        "secondary_country_code":"","default_currency_code":"JOD","last_login":"2018-05-10 00:42:00",\#
        "suspend":false,"last_ip":"192.0.2.10","created":"2018-05-01 10:00:00",\#
        "modified":"2018-05-10 00:42:00","follow_up_status":null,"category":"","group_price_id":0,\#
        "timezone":"Asia/Amman","bn1":"","bn1_label":"","bn2_label":"","bn2":"",\#
        "starting_balance":1.50,"type":2,"birth_date":"1990-04-17","gender":2,"map_location":null,\#
        "credit_limit":0,"credit_period":0,"branch_id":1}
        """#

    private static let client2 = #"""
        {"id":2,"is_offline":0,"client_number":"0000002","staff_id":1,\#
        "business_name":"\u0634\u0631\u0643\u0629 \u0627\u0644\u0646\u0648\u0631",\#
        "first_name":"\u0623\u062d\u0645\u062f","last_name":"\u0627\u0644\u0633\u0639\u064a\u062f",\#
        "email":"info@alnoor.example","address1":"King Fahd Rd \/ Tower B","address2":"",\#
        "city":"Riyadh","state":"","postal_code":"12211","phone1":"","phone2":"","country_code":"SA",\#
        "notes":"Line one\nLine \"two\"\ttabbed \\ done","active_secondary_address":1,\#
        "secondary_name":"Warehouse","secondary_address1":"Exit 18","secondary_address2":"",\#
        "secondary_city":"Riyadh","secondary_state":"","secondary_postal_code":"",\#
        "secondary_country_code":"SA","default_currency_code":"SAR","last_login":null,"suspend":0,\#
        "last_ip":"","created":"2021-01-05 08:00:00","modified":"2023-11-30 17:59:59",\#
        "follow_up_status":3,"category":"Retail","group_price_id":null,"timezone":"Asia/Riyadh",\#
        "bn1":"300000000000003","bn1_label":"VAT","bn2_label":"","bn2":"","starting_balance":-250.0,\#
        "type":3,"birth_date":null,"gender":null,"map_location":"24.7136,46.6753,12",\#
        "credit_limit":1e4,"credit_period":45,"branch_id":2,\#
        "custom_fields":{"sector":"food","tags":["riyadh","wholesale"],"rating":{"score":4.5,"of":5}},\#
        "photo":null}
        """#

    private static let client715 = #"""
        {"id":"715","is_offline":"0","client_number":"0000715","staff_id":"3",\#
        "business_name":"مؤسسة الأمل للتجارة","first_name":"Omar","last_name":"Haddad",\#
        "email":"omar@alamal.example","address1":"12 Tahrir St.","address2":"","city":"Cairo",\#
        "state":"Cairo","postal_code":"11511","phone1":"+20 2 2345 6789","phone2":"","country_code":"EG",\#
        "notes":"VIP – net 30 ✓","active_secondary_address":"0","secondary_name":"","secondary_address1":"",\#
        "secondary_address2":"","secondary_city":"","secondary_state":"","secondary_postal_code":"",\#
        "secondary_country_code":"","default_currency_code":"EGP","last_login":"2024-03-14 09:21:07",\#
        "suspend":"0","last_ip":"203.0.113.24","created":"2019-06-02 11:45:00",\#
        "modified":"2024-03-14 09:21:07","follow_up_status":null,"category":"Wholesale",\#
        "group_price_id":"0","timezone":"Africa/Cairo","bn1":"123-456-789","bn1_label":"Tax ID",\#
        "bn2_label":"","bn2":"","starting_balance":"1.50","type":"3","birth_date":"","gender":"",\#
        "map_location":"30.0444,31.2357,15","credit_limit":"50000.00","credit_period":"30",\#
        "branch_id":"1","language_code":"ar","photo":"","national_id":"29001011234567","category_id":"4"}
        """#
}
