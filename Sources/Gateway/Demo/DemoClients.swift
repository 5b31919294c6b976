/// The sample clients the demo upstream serves: the exact JSON text of each
/// `Client` object, keyed by id.
///
/// They follow the documented key order (daftra-api.md) and the quirks of live
/// data rather than the documentation example, so the demo shows what the
/// gateway passes through byte for byte:
/// - 1: the documented types (real booleans and integers) and `"starting_balance":1.50`.
/// - 2: a business with an Arabic name in raw UTF-8, booleans as `0`/`1`, a
///   negative balance, `1e4`, and escapes in `notes`.
/// - 715: every value a string (`"starting_balance":"1.50"`), an Arabic name as
///   `\u` escapes, and a nested object with an array.
/// - 1024: an individual with a null `follow_up_status`, an escaped URL and the
///   extra keys `language_code`, `photo`, `national_id` and `category_id`.
public enum DemoClients {
    /// The clients by id.
    public static let clients: [Int: String] = [
        1: client1,
        2: client2,
        715: client715,
        1024: client1024,
    ]

    private static let client1 = #"""
        {"id":1,"is_offline":false,"client_number":"0000001","staff_id":0,\#
        "business_name":"Blue Harbor Supplies","first_name":"Lina","last_name":"Mansour",\#
        "email":"lina@blueharbor.example","address1":"14 Marina Walk","address2":"Suite 3",\#
        "city":"Dubai","state":"Dubai","postal_code":"00000","phone1":"+971 4 555 0101","phone2":"",\#
        "country_code":"AE","notes":"","active_secondary_address":false,"secondary_name":"",\#
        "secondary_address1":"","secondary_address2":"","secondary_city":"","secondary_state":"",\#
        "secondary_postal_code":"","secondary_country_code":"","default_currency_code":"AED",\#
        "last_login":"2018-05-10 00:42:00","suspend":false,"last_ip":"192.0.2.41",\#
        "created":"2018-04-02 09:15:00","modified":"2018-05-10 00:42:00","follow_up_status":null,\#
        "category":"Marine","group_price_id":0,"timezone":"Asia/Dubai","bn1":"100234567800003",\#
        "bn1_label":"TRN","bn2_label":"","bn2":"","starting_balance":1.50,"type":3,\#
        "birth_date":null,"gender":null,"map_location":"25.0805,55.1403,14","credit_limit":20000,\#
        "credit_period":30,"branch_id":1}
        """#

    private static let client2 = #"""
        {"id":2,"is_offline":0,"client_number":"0000002","staff_id":4,\#
        "business_name":"شركة الواحة للتوريدات","first_name":"يوسف","last_name":"الحربي",\#
        "email":"yousef@alwaha.example","address1":"طريق الملك فهد","address2":"","city":"الرياض",\#
        "state":"","postal_code":"12271","phone1":"+966 11 555 0199","phone2":"+966 50 555 0123",\#
        "country_code":"SA","notes":"Pays by transfer.\nAsk for \"Yousef\" \u2013 not the front desk.",\#
        "active_secondary_address":1,"secondary_name":"Warehouse","secondary_address1":"Exit 18",\#
        "secondary_address2":"","secondary_city":"Riyadh","secondary_state":"",\#
        "secondary_postal_code":"14325","secondary_country_code":"SA","default_currency_code":"SAR",\#
        "last_login":null,"suspend":0,"last_ip":"","created":"2021-01-05 08:00:00",\#
        "modified":"2024-11-30 17:59:59","follow_up_status":2,"category":"Retail",\#
        "group_price_id":null,"timezone":"Asia/Riyadh","bn1":"300000000000003","bn1_label":"VAT",\#
        "bn2_label":"CR","bn2":"1010101010","starting_balance":-250.75,"type":3,"birth_date":null,\#
        "gender":null,"map_location":"24.7136,46.6753,12","credit_limit":1e4,"credit_period":45,\#
        "branch_id":2}
        """#

    private static let client715 = #"""
        {"id":"715","is_offline":"0","client_number":"0000715","staff_id":"3",\#
        "business_name":"\u0645\u0624\u0633\u0633\u0629 \u0627\u0644\u0646\u064a\u0644",\#
        "first_name":"Omar","last_name":"Haddad","email":"omar@alnile.example",\#
        "address1":"12 Tahrir St.","address2":"","city":"Cairo","state":"Cairo",\#
        "postal_code":"11511","phone1":"+20 2 2345 6789","phone2":"","country_code":"EG",\#
        "notes":"Net 30 \/ invoices by e-mail","active_secondary_address":"0","secondary_name":"",\#
        "secondary_address1":"","secondary_address2":"","secondary_city":"","secondary_state":"",\#
        "secondary_postal_code":"","secondary_country_code":"","default_currency_code":"EGP",\#
        "last_login":"2024-03-14 09:21:07","suspend":"0","last_ip":"203.0.113.24",\#
        "created":"2019-06-02 11:45:00","modified":"2024-03-14 09:21:07","follow_up_status":"1",\#
        "category":"Wholesale","group_price_id":"0","timezone":"Africa/Cairo","bn1":"123-456-789",\#
        "bn1_label":"Tax ID","bn2_label":"","bn2":"","starting_balance":"1.50","type":"3",\#
        "birth_date":"","gender":"","map_location":"30.0444,31.2357,15","credit_limit":"50000.00",\#
        "credit_period":"30","branch_id":"1",\#
        "custom_fields":{"sector":"textiles","tags":["export","priority"],"rating":{"score":4.5,"of":5}}}
        """#

    private static let client1024 = #"""
        {"id":1024,"is_offline":1,"client_number":"0001024","staff_id":7,"business_name":"",\#
        "first_name":"Maya","last_name":"Khoury","email":"maya.khoury@mail.example","address1":"",\#
        "address2":"","city":"Beirut","state":"","postal_code":"","phone1":"+961 1 555 024",\#
        "phone2":"","country_code":"LB","notes":"Walk-in customer","active_secondary_address":0,\#
        "secondary_name":"","secondary_address1":"","secondary_address2":"","secondary_city":"",\#
        "secondary_state":"","secondary_postal_code":"","secondary_country_code":"",\#
        "default_currency_code":"USD","last_login":"2025-01-20 18:03:44","suspend":0,\#
        "last_ip":"198.51.100.7","created":"2023-07-09 12:00:00","modified":"2025-01-20 18:03:44",\#
        "follow_up_status":null,"category":"","group_price_id":3,"timezone":"Asia/Beirut","bn1":"",\#
        "bn1_label":"","bn2_label":"","bn2":"","starting_balance":0,"type":2,\#
        "birth_date":"1992-08-30","gender":1,"map_location":null,"credit_limit":"0.00",\#
        "credit_period":0,"branch_id":1,"language_code":"ar",\#
        "photo":"https:\/\/cdn.example\/clients\/1024\/photo.jpg","national_id":"LB-5510-2231",\#
        "category_id":null}
        """#
}
