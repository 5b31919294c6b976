import Gateway

GatewayMain.run()
