// The services whose pages the portal shows, in menu order. A new service adds its module here.
import type { PortalModule } from './module'
import { identification } from './identification'
import { subsidies } from './subsidies'
import { employment } from './employment'
import { audit } from './audit'

export const modules: PortalModule[] = [identification, subsidies, employment, audit]
