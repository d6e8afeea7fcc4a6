package graph

import (
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	textser "github.com/microsoft/kiota-serialization-text-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationtemplates"
	"github.com/microsoftgraph/msgraph-sdk-go/domains"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// root makes the SDK's request builders for the entity sets setup uses, as
// msgraphsdk.GraphServiceClient does for every one of Graph's ~70. That client is
// avoided on purpose: once a binary links text/template (Fyne's translations and the
// harness's pages do), the linker keeps every exported method of every reachable type,
// and through the client's methods that is the whole generated SDK — measured, a
// binary of 137 MB instead of about 35.
type root struct {
	adapter abs.RequestAdapter
	params  map[string]string // {"baseurl": …}; each builder copies it
}

var registerSerializers sync.Once

// newRoot prepares what NewGraphServiceClient prepares: the JSON and text
// (de)serializers, registered once per process, and the backing store that makes a
// PATCH send only the properties set.
func newRoot(adapter abs.RequestAdapter) root {
	registerSerializers.Do(func() {
		abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return jsonser.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return textser.NewTextSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return jsonser.NewJsonParseNodeFactory() })
		abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return textser.NewTextParseNodeFactory() })
	})
	adapter.EnableBackingStore(store.BackingStoreFactoryInstance)
	return root{adapter: adapter, params: map[string]string{"baseurl": adapter.GetBaseUrl()}}
}

func (r root) Organization() *organization.OrganizationRequestBuilder {
	return organization.NewOrganizationRequestBuilderInternal(r.params, r.adapter)
}

func (r root) Domains() *domains.DomainsRequestBuilder {
	return domains.NewDomainsRequestBuilderInternal(r.params, r.adapter)
}

func (r root) Applications() *applications.ApplicationsRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(r.params, r.adapter)
}

func (r root) ApplicationsWithAppId(appID *string) *applicationswithappid.ApplicationsWithAppIdRequestBuilder {
	return applicationswithappid.NewApplicationsWithAppIdRequestBuilderInternal(r.params, r.adapter, appID)
}

func (r root) ApplicationTemplates() *applicationtemplates.ApplicationTemplatesRequestBuilder {
	return applicationtemplates.NewApplicationTemplatesRequestBuilderInternal(r.params, r.adapter)
}

func (r root) ServicePrincipals() *serviceprincipals.ServicePrincipalsRequestBuilder {
	return serviceprincipals.NewServicePrincipalsRequestBuilderInternal(r.params, r.adapter)
}

func (r root) ServicePrincipalsWithAppId(appID *string) *serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilder {
	return serviceprincipalswithappid.NewServicePrincipalsWithAppIdRequestBuilderInternal(r.params, r.adapter, appID)
}

func (r root) Users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(r.params, r.adapter)
}

func (r root) Groups() *groups.GroupsRequestBuilder {
	return groups.NewGroupsRequestBuilderInternal(r.params, r.adapter)
}
